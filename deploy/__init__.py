"""The deployment as code: nginx configuration, systemd units, environment files and the scripts an operator runs
(README "Deployment"). A package only so that its tests are collected; nothing here is imported by the app."""
