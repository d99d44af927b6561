"""Device approval: enrolling a phone's WebAuthn key and listing or removing enrolled devices."""
