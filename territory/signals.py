"""What the territory asks the apps above it without knowing them (decision 0016)."""

from django.dispatch import Signal

# A commune is about to leave the last territory of a cell that held it: sent with `cell` and `commune`. Each
# receiver returns short French descriptions of the cell's records there (directory: sites, resources…), so that a
# commune in use is not taken out of the territory behind their back.
commune_leaving = Signal()
