"""Logging a key in: phone code, 2FA password (real SRP), and QR login tokens.

A login code is also delivered, like Telegram does, as a message from the service user
777000 to the account's already logged-in sessions. Codes expire ``code_expiry_seconds``
after they were sent, by the world's clock. QR tokens live 30 seconds.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from telethon.tl import functions, types

from mctltg.sandbox import srp
from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import Draft, RpcFault, post
from mctltg.sandbox.render import user_tl
from mctltg.sandbox.state import SERVICE_USER_ID, PeerKey, PendingCode, QrToken, WorldState
from mctltg.sandbox.tl import build, to_datetime

__all__ = ["CODE_LENGTH", "QR_TOKEN_TTL", "ROUTES", "accept_token", "normalize_phone"]

CODE_LENGTH = 5
QR_TOKEN_TTL = 30.0
_LOGIN_TEXT = "Login code: {code}. Do not give this code to anyone, even if they say they are from Telegram!"


def normalize_phone(phone: str) -> str:
    """Telegram's form of a phone number: digits only.

    Raises:
        RpcFault: 400 ``PHONE_NUMBER_INVALID`` for fewer than 5 or more than 15 digits.
    """
    digits = re.sub(r"\D", "", phone)
    if not 5 <= len(digits) <= 15:
        raise RpcFault(400, "PHONE_NUMBER_INVALID")
    return digits


def _user_by_phone(state: WorldState, phone: str) -> int | None:
    return next((u.id for u in state.users.values() if u.phone == phone), None)


def _deliver_code(call: Call, phone: str, code: str) -> None:
    user_id = _user_by_phone(call.state, phone)
    if user_id is not None:
        draft = Draft(
            sender=SERVICE_USER_ID,
            peer=PeerKey("user", user_id),
            text=_LOGIN_TEXT.format(code=code),
            date=call.now,
        )
        post(call.state, draft)


def send_code(call: Call, request: Any) -> Any:
    phone = normalize_phone(request.phone_number)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    pending = PendingCode(code=code, phone_code_hash=secrets.token_hex(9), sent_at=call.now)
    call.state.codes[phone] = pending
    _deliver_code(call, phone, code)
    sent_type = build(types.auth.SentCodeTypeApp, length=CODE_LENGTH)
    return build(types.auth.SentCode, type=sent_type, phone_code_hash=pending.phone_code_hash)


def _pending(call: Call, phone: str, phone_code_hash: str) -> PendingCode:
    pending = call.state.codes.get(phone)
    if pending is None or pending.phone_code_hash != phone_code_hash:
        raise RpcFault(400, "PHONE_CODE_EXPIRED")
    if call.now - pending.sent_at > call.code_expiry_seconds:
        del call.state.codes[phone]
        raise RpcFault(400, "PHONE_CODE_EXPIRED")
    return pending


def resend_code(call: Call, request: Any) -> Any:
    phone = normalize_phone(request.phone_number)
    pending = _pending(call, phone, request.phone_code_hash)
    pending.sent_at = call.now
    _deliver_code(call, phone, pending.code)
    sent_type = build(types.auth.SentCodeTypeSms, length=CODE_LENGTH)
    return build(types.auth.SentCode, type=sent_type, phone_code_hash=pending.phone_code_hash)


def log_in(call: Call, user_id: int) -> Any:
    """Bind the caller's key to ``user_id``; the ``auth.Authorization`` to answer with."""
    key = call.key
    key.user_id = user_id
    key.pending_2fa_user = None
    key.srp = None
    key.qr_token = None
    key.created = key.active = call.now
    return build(types.auth.Authorization, user=user_tl(call.state, user_id, user_id))


def _needs_password(call: Call, user_id: int) -> None:
    if call.state.users[user_id].password is not None:
        call.key.pending_2fa_user = user_id
        raise RpcFault(401, "SESSION_PASSWORD_NEEDED")


def sign_in(call: Call, request: Any) -> Any:
    phone = normalize_phone(request.phone_number)
    if not request.phone_code:
        raise RpcFault(400, "PHONE_CODE_EMPTY")
    pending = _pending(call, phone, request.phone_code_hash)
    if not secrets.compare_digest(pending.code, str(request.phone_code)):
        raise RpcFault(400, "PHONE_CODE_INVALID")
    del call.state.codes[phone]
    user_id = _user_by_phone(call.state, phone)
    if user_id is None:
        return build(types.auth.AuthorizationSignUpRequired)
    _needs_password(call, user_id)
    return log_in(call, user_id)


def sign_up(call: Call, request: Any) -> Any:
    raise RpcFault(400, "SIGN_UP_NOT_AVAILABLE_IN_SANDBOX")


def get_password(call: Call, request: Any) -> Any:
    target = call.key.user_id or call.key.pending_2fa_user
    verifier = call.state.users[target].password if target else None
    common: dict[str, Any] = {
        "new_algo": srp.kdf_algo(secrets.token_bytes(8), secrets.token_bytes(16)),
        "new_secure_algo": build(types.SecurePasswordKdfAlgoSHA512, salt=secrets.token_bytes(8)),
        "secure_random": secrets.token_bytes(32),
    }
    if verifier is None:
        return build(types.account.Password, has_password=False, **common)
    session = srp.start(verifier)
    call.key.srp = session
    return build(
        types.account.Password,
        has_password=True,
        current_algo=srp.kdf_algo(verifier.salt1, verifier.salt2),
        srp_B=session.big_b,
        srp_id=session.srp_id,
        hint=verifier.hint or None,
        **common,
    )


def check_password(call: Call, request: Any) -> Any:
    user_id = call.key.pending_2fa_user
    session = call.key.srp
    proof = request.password
    if user_id is None or session is None:
        raise RpcFault(400, "SRP_ID_INVALID")
    verifier = call.state.users[user_id].password
    if not isinstance(proof, types.InputCheckPasswordSRP) or verifier is None:
        raise RpcFault(400, "PASSWORD_HASH_INVALID")
    if proof.srp_id != session.srp_id:
        raise RpcFault(400, "SRP_ID_INVALID")
    if not srp.check(verifier, session, proof.A, proof.M1):
        raise RpcFault(400, "PASSWORD_HASH_INVALID")
    return log_in(call, user_id)


def export_login_token(call: Call, request: Any) -> Any:
    key = call.key
    token = call.state.qr_tokens.get(key.qr_token or b"")
    if token is not None and token.accepted_by is not None:
        del call.state.qr_tokens[token.token]
        key.qr_token = None
        _needs_password(call, token.accepted_by)
        return build(types.auth.LoginTokenSuccess, authorization=log_in(call, token.accepted_by))
    if token is not None and token.expires > call.now:
        return build(types.auth.LoginToken, expires=to_datetime(token.expires), token=token.token)
    if token is not None:
        del call.state.qr_tokens[token.token]
    fresh = QrToken(token=secrets.token_bytes(32), key_id=key.key_id, expires=call.now + QR_TOKEN_TTL)
    call.state.qr_tokens[fresh.token] = fresh
    key.qr_token = fresh.token
    return build(types.auth.LoginToken, expires=to_datetime(fresh.expires), token=fresh.token)


def import_login_token(call: Call, request: Any) -> Any:
    token = call.state.qr_tokens.get(request.token)
    if token is None or token.key_id != call.key.key_id:
        raise RpcFault(400, "AUTH_TOKEN_INVALID")
    return export_login_token(call, request)


def accept_token(state: WorldState, token_bytes: bytes, user_id: int, now: float) -> None:
    """Accept a QR token as ``user_id`` and wake the client that exported it.

    Raises:
        RpcFault: 400 ``AUTH_TOKEN_INVALID`` / ``AUTH_TOKEN_EXPIRED``.
    """
    token = state.qr_tokens.get(token_bytes)
    if token is None or token.accepted_by is not None:
        raise RpcFault(400, "AUTH_TOKEN_INVALID")
    if token.expires <= now:
        raise RpcFault(400, "AUTH_TOKEN_EXPIRED")
    token.accepted_by = user_id
    wake = build(types.UpdateShort, update=types.UpdateLoginToken(), date=to_datetime(now))
    for endpoint in list(state.endpoints):
        if endpoint.key_id == token.key_id:
            endpoint.push(wake)


def accept_login_token(call: Call, request: Any) -> Any:
    token = call.state.qr_tokens.get(request.token)
    accept_token(call.state, request.token, call.me, call.now)
    assert token is not None  # accept_token checked it
    new_key = call.state.keys[token.key_id]
    return build(
        types.Authorization,
        hash=(new_key.key_id >> 1) or 1,
        device_model=new_key.device_model,
        platform="",
        system_version=new_key.system_version,
        api_id=new_key.api_id,
        app_name="Sandbox client",
        app_version=new_key.app_version,
        date_created=to_datetime(call.now),
        date_active=to_datetime(call.now),
        ip="127.0.0.1",
        country="Sandbox",
        region="",
    )


ROUTES: tuple[Route, ...] = (
    Route(functions.auth.SendCodeRequest, send_code, login=False),
    Route(functions.auth.ResendCodeRequest, resend_code, login=False),
    Route(functions.auth.SignInRequest, sign_in, login=False),
    Route(functions.auth.SignUpRequest, sign_up, login=False),
    Route(functions.account.GetPasswordRequest, get_password, login=False),
    Route(functions.auth.CheckPasswordRequest, check_password, login=False),
    Route(functions.auth.ExportLoginTokenRequest, export_login_token, login=False),
    Route(functions.auth.ImportLoginTokenRequest, import_login_token, login=False),
    Route(functions.auth.AcceptLoginTokenRequest, accept_login_token),
)
