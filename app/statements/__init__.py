"""Signed account statements: every movement of one ledger account over a period, as CSV or PDF.

`service.statement` builds a statement of any ledger account (a user's wallet, a merchant's); the
owner checks (`service.export_for_user`) and the download token (`tokens`) sit on top of it, and
`signing` holds the Ed25519 keys derived from the server secrets. See docs/statements.md.
"""
