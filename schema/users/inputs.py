"""Inputs for account mutations."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.users.types import CodeChannel, CodePurpose, DocumentType


@strawberry.input(description="Ask for a one-time code for one purpose.")
class RequestVerificationCodeInput:
    channel: CodeChannel = strawberry.field(description="SMS to a phone, or EMAIL to the account's address.")
    purpose: CodePurpose = strawberry.field(description="What the code will be good for; it is valid for that only.")
    phone: str | None = strawberry.field(default=None, description="For REGISTER and RESET_PASSWORD.")
    email: str | None = strawberry.field(default=None, description="Defaults to the account's email.")


@strawberry.input(description="A new account, proven by the REGISTER code sent to its phone.")
class RegisterInput:
    phone: str = strawberry.field(description="Any spelling (`13800138000`, `+86 138 0013 8000`); stored as E.164.")
    code: str = strawberry.field(description="The REGISTER code sent by SMS to `phone`.")
    password: str = strawberry.field(description="8 to 128 characters, not a common password.")
    display_name: str = strawberry.field(description="1 to 64 characters, shown to other users.")
    email: str | None = strawberry.field(default=None, description="A code is mailed to verify it.")


@strawberry.input(description="Sign in with phone number and password.")
class LoginInput:
    phone: str = strawberry.field(description="Any spelling of the account's phone number.")
    password: str = strawberry.field(description="The account's password.")


@strawberry.input(description="Sign in with a LOGIN code sent by SMS (requestVerificationCode).")
class LoginWithCodeInput:
    phone: str = strawberry.field(description="The account's phone number, E.164.")
    code: str = strawberry.field(description="The 6-digit LOGIN code.")


@strawberry.input(description="Set a new password with a RESET_PASSWORD code.")
class ResetPasswordInput:
    phone: str = strawberry.field(description="The account's phone number, where the code was sent.")
    code: str = strawberry.field(description="The RESET_PASSWORD code from the SMS.")
    new_password: str = strawberry.field(description="8 to 128 characters, not a common password.")


@strawberry.input(description="Add or replace the account's email address; a code is mailed to verify it.")
class AddEmailInput:
    email: str = strawberry.field(description="The new address.")


@strawberry.input(description="Confirm the email address with the code mailed to it.")
class VerifyEmailInput:
    code: str = strawberry.field(description="The VERIFY_EMAIL code from the mail.")


@strawberry.input(description="End one of the viewer's sessions (another device).")
class RevokeSessionInput:
    session_id: strawberry.ID = strawberry.field(description="A `SessionInfo.id` from `me { sessions }`.")


@strawberry.input(description="The identity to verify: 18 or older, one account per document.")
class SubmitIdentityInput:
    real_name: str = strawberry.field(description="As on the document, 2 to 50 characters.")
    document_type: DocumentType = strawberry.field(description="RESIDENT_ID (18 characters, checked) or PASSPORT.")
    document_number: str = strawberry.field(description="As printed on the document.")
    date_of_birth: date = strawberry.field(description="ISO date, e.g. 1990-03-07.")
