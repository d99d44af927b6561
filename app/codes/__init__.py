"""Collection codes: signed, opaque payloads that name a payee, their QR images, and paying them."""
