"""The coordinator's desk, by area: the cell's home, the queue, the intake and the request page."""
