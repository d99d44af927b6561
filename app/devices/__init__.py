"""Payment devices: a phone's WebAuthn key, unlocked by fingerprint or face, approves payments.

The biometric never reaches the server: the phone's secure hardware signs a challenge that the
server derived from exactly one payment, and the server checks that signature against the public
key it stored at enrolment. See docs/security.md ("Device approval") for what this protects.
"""
