"""Bank cards: validation, binding through the card processor seam."""
