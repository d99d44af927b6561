"""exportStatement: a signed statement of the viewer's own wallet."""
