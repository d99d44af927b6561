"""Account mutations: each authenticates, calls one service, and maps the outcome."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import InvalidInput
from app.identity import accounts, sessions
from app.identity import verification as identity_service
from app.identity.documents import DocumentType as DomainDocumentType
from app.identity.phones import normalise_phone
from app.verification.codes import Purpose
from models.events import Channel
from schema.context import Info
from schema.errors import (
    AlreadyExistsError,
    IdentityRejectedError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    RateLimitedError,
    TemporarilyUnavailableError,
    errors_as_data,
)
from schema.ids import decode_id
from schema.users.inputs import (
    AddEmailInput,
    LoginInput,
    LoginWithCodeInput,
    RegisterInput,
    RequestVerificationCodeInput,
    ResetPasswordInput,
    RevokeSessionInput,
    SubmitIdentityInput,
    VerifyEmailInput,
)
from schema.users.types import CodeChannel, IdentityStatus, SessionPayload, User


@strawberry.type(description="The code is on its way if the request made sense; the answer is the same "
                             "whether or not an account exists.")
class CodeRequested:
    expires_in_seconds: int = strawberry.field(description="How long the code is valid.")
    resend_after_seconds: int = strawberry.field(
        description="Wait this long before asking for another code to the same destination.")


@strawberry.type(description="The action was carried out.")
class Done:
    ok: bool = strawberry.field(default=True, description="Always true.")


@strawberry.type(description="The account after the change.")
class UserSuccess:
    user: User = strawberry.field(description="The viewer's account.")


@strawberry.type(description="The identity is verified.")
class IdentitySuccess:
    identity: IdentityStatus = strawberry.field(description="The verified identity, masked.")
    user: User = strawberry.field(description="The viewer's account, with `walletRequirements` updated.")


CodeResult = Annotated[
    CodeRequested | InvalidInputError | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError,
    strawberry.union("RequestVerificationCodeResult",
                     description="`requestVerificationCode`'s answer: CodeRequested or an error to handle.")]
RegisterResult = Annotated[
    SessionPayload | InvalidCodeError | AlreadyExistsError | InvalidInputError | RateLimitedError
    | TemporarilyUnavailableError,
    strawberry.union("RegisterResult",
                     description="`register`'s answer: a session for the new account, or an error to handle.")]
LoginResult = Annotated[
    SessionPayload | InvalidCredentialsError | InvalidInputError | RateLimitedError | TemporarilyUnavailableError,
    strawberry.union("LoginResult", description="`login`'s answer: a session, or an error to handle.")]
LoginWithCodeResult = Annotated[
    SessionPayload | InvalidCodeError | InvalidCredentialsError | InvalidInputError | RateLimitedError
    | TemporarilyUnavailableError,
    strawberry.union("LoginWithCodeResult", description="`loginWithCode`'s answer: a session, or an error.")]
ResetPasswordResult = Annotated[
    Done | InvalidCodeError | InvalidCredentialsError | InvalidInputError | RateLimitedError,
    strawberry.union("ResetPasswordResult", description="`resetPassword`'s answer: Done, or an error to handle.")]
SessionResult = Annotated[Done | NotAuthenticatedError | NotFoundError | InvalidInputError,
    strawberry.union("SessionResult", description="What ending sessions answers: Done, or an error to handle.")]
EmailResult = Annotated[
    UserSuccess | InvalidCodeError | InvalidInputError | NotAuthenticatedError | RateLimitedError
    | TemporarilyUnavailableError,
    strawberry.union("EmailResult",
                     description="What changing or verifying the email answers: the account, or an error to handle.")]
IdentityResult = Annotated[
    IdentitySuccess | IdentityRejectedError | AlreadyExistsError | InvalidInputError | NotAuthenticatedError,
    strawberry.union("SubmitIdentityResult",
                     description="`submitIdentity`'s answer: the verified identity, or an error to handle.")]


def _destination(info: Info, data: RequestVerificationCodeInput) -> str:
    """Where a code goes: the given phone for sign-up and reset, else the account's own contact."""
    purpose = Purpose(data.purpose)
    if purpose in (Purpose.REGISTER, Purpose.RESET_PASSWORD, Purpose.LOGIN):
        # These codes prove a phone number: they go by SMS to the number given.
        if data.channel != CodeChannel.SMS:
            raise InvalidInput("channel", "sign-up and password reset codes are sent by SMS")
        if not data.phone:
            raise InvalidInput("phone", "is required")
        return normalise_phone(data.phone)
    if data.channel == CodeChannel.SMS:
        return info.context.require_viewer().phone
    user = info.context.require_viewer()
    if purpose == Purpose.VERIFY_EMAIL:
        email = accounts.normalise_email(data.email) if data.email else user.email
        # Mailboxes are case-insensitive in practice; the code goes to the address as stored.
        if not email or not user.email or email.casefold() != user.email.casefold():
            raise InvalidInput("email", "add the address with addEmail first")
        return user.email
    if not user.email or user.email_verified_at is None:
        raise InvalidInput("channel", "no verified email on this account; use SMS")
    return user.email


@strawberry.type
class UserMutation:
    @strawberry.mutation(description="Send a one-time code by SMS or mail.")
    @errors_as_data
    async def request_verification_code(self, info: Info, input: RequestVerificationCodeInput) -> CodeResult:
        rt = info.context.rt
        purpose = Purpose(input.purpose)
        if purpose == Purpose.BIND_CARD:
            raise InvalidInput("purpose", "card codes are sent by the card's issuer")
        destination = _destination(info, input)
        await accounts.request_code(rt, channel=Channel(input.channel.value), purpose=purpose,
                                    destination=destination, client_address=info.context.client_address,
                                    viewer=info.context.viewer)
        s = rt.settings
        return CodeRequested(expires_in_seconds=s.code_ttl_seconds, resend_after_seconds=s.code_resend_seconds)

    @strawberry.mutation(description="Create an account once the SMS code proves the phone number.")
    @errors_as_data
    async def register(self, info: Info, input: RegisterInput) -> RegisterResult:
        ctx = info.context
        token, session = await accounts.register(
            ctx.rt, phone=input.phone, code=input.code, password=input.password,
            display_name=input.display_name, email=input.email, device_name=ctx.device_name,
            client_address=ctx.client_address)
        return SessionPayload(token=token, expires_at=session.expires_at, user=User.from_model(session.user))

    @strawberry.mutation(description="Sign in with phone and password.")
    @errors_as_data
    async def login(self, info: Info, input: LoginInput) -> LoginResult:
        ctx = info.context
        token, session = await accounts.login(ctx.rt, phone=input.phone, password=input.password,
                                              device_name=ctx.device_name,
                                              client_address=ctx.client_address)
        return SessionPayload(token=token, expires_at=session.expires_at, user=User.from_model(session.user))

    @strawberry.mutation(description="Sign in with a LOGIN code sent by SMS; works while too many wrong "
                                     "passwords hold the password sign-in.")
    @errors_as_data
    async def login_with_code(self, info: Info, input: LoginWithCodeInput) -> LoginWithCodeResult:
        ctx = info.context
        token, session = await accounts.login_with_code(ctx.rt, phone=input.phone, code=input.code,
                                                        device_name=ctx.device_name,
                                                        client_address=ctx.client_address)
        return SessionPayload(token=token, expires_at=session.expires_at, user=User.from_model(session.user))

    @strawberry.mutation(description="Set a new login password with a RESET_PASSWORD code; "
                                     "every session of the account ends.")
    @errors_as_data
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordResult:
        await accounts.reset_password(info.context.rt, phone=input.phone, code=input.code,
                                      new_password=input.new_password)
        return Done()

    @strawberry.mutation(description="End this session.")
    @errors_as_data
    async def logout(self, info: Info) -> SessionResult:
        viewer = info.context.require_viewer()
        assert info.context.session is not None
        await sessions.revoke(viewer, info.context.session.id)
        await sessions.announce_ended(info.context.rt, viewer.id)
        return Done()

    @strawberry.mutation(description="End every session of this account, this one included.")
    @errors_as_data
    async def logout_everywhere(self, info: Info) -> SessionResult:
        viewer = info.context.require_viewer()
        await sessions.revoke_all(viewer.id)
        await sessions.announce_ended(info.context.rt, viewer.id)
        return Done()

    @strawberry.mutation(description="End one of this account's sessions (see `me.sessions`).")
    @errors_as_data
    async def revoke_session(self, info: Info, input: RevokeSessionInput) -> SessionResult:
        viewer = info.context.require_viewer()
        await sessions.revoke(viewer, decode_id(input.session_id, "SessionInfo", "sessionId"))
        await sessions.announce_ended(info.context.rt, viewer.id)
        return Done()

    @strawberry.mutation(description="Add or change the account's email; a VERIFY_EMAIL code is mailed.")
    @errors_as_data
    async def add_email(self, info: Info, input: AddEmailInput) -> EmailResult:
        viewer = info.context.require_viewer()
        await accounts.add_email(info.context.rt, viewer, input.email)
        await viewer.refresh_from_db()
        return UserSuccess(user=User.from_model(viewer))

    @strawberry.mutation(description="Mark the email verified with the mailed code.")
    @errors_as_data
    async def verify_email(self, info: Info, input: VerifyEmailInput) -> EmailResult:
        user = await accounts.verify_email(info.context.rt, info.context.require_viewer(), input.code)
        return UserSuccess(user=User.from_model(user))

    @strawberry.mutation(description="Prove who you are: real name, document, date of birth (18+).")
    @errors_as_data
    async def submit_identity(self, info: Info, input: SubmitIdentityInput) -> IdentityResult:
        viewer = info.context.require_viewer()
        identity = await identity_service.submit_identity(
            info.context.rt, viewer, real_name=input.real_name,
            document_type=DomainDocumentType(input.document_type), document_number=input.document_number,
            date_of_birth=input.date_of_birth)
        return IdentitySuccess(identity=IdentityStatus.from_model(identity), user=User.from_model(viewer))

