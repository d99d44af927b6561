"""Inputs for account mutations."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.users.types import CodeChannel, CodePurpose, DocumentType


@strawberry.input
class RequestVerificationCodeInput:
    channel: CodeChannel
    purpose: CodePurpose
    phone: str | None = strawberry.field(default=None, description="For REGISTER and RESET_PASSWORD.")
    email: str | None = strawberry.field(default=None, description="Defaults to the account's email.")


@strawberry.input
class RegisterInput:
    phone: str
    code: str = strawberry.field(description="The REGISTER code sent by SMS to `phone`.")
    password: str = strawberry.field(description="8 to 128 characters, not a common password.")
    display_name: str
    email: str | None = strawberry.field(default=None, description="A code is mailed to verify it.")


@strawberry.input
class LoginInput:
    phone: str
    password: str


@strawberry.input(description="Sign in with a LOGIN code sent by SMS (requestVerificationCode).")
class LoginWithCodeInput:
    phone: str = strawberry.field(description="The account's phone number, E.164.")
    code: str = strawberry.field(description="The 6-digit LOGIN code.")


@strawberry.input
class ResetPasswordInput:
    phone: str
    code: str
    new_password: str


@strawberry.input
class AddEmailInput:
    email: str


@strawberry.input
class VerifyEmailInput:
    code: str


@strawberry.input
class RevokeSessionInput:
    session_id: strawberry.ID


@strawberry.input
class SubmitIdentityInput:
    real_name: str
    document_type: DocumentType
    document_number: str
    date_of_birth: date = strawberry.field(description="ISO date, e.g. 1990-03-07.")
