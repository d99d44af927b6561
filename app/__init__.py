"""imwallet: domain services and the composition root."""
