"""Email over SMTP with the standard library: text and HTML as multipart/alternative, security
none / STARTTLS / implicit TLS, optional login. The Message-ID (made from the outbox row's id)
is the provider message id."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from regulars.messaging.channels.base import Outgoing, PermanentError, SendResult, TransientError

SECURITY = ("none", "starttls", "tls")


class EmailChannel:
    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 20.0,
        ssl_context: ssl.SSLContext | None = None,
    ):
        if security not in SECURITY:
            raise ValueError(f"security must be one of {SECURITY}")
        self.host, self.port, self.security = host, port, security
        self.sender, self.username, self.password = sender, username, password
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()

    def build(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail["Date"] = formatdate(usegmt=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or None
        idstring = str(message.message_id) if message.message_id else None
        mail["Message-ID"] = make_msgid(idstring=idstring, domain=domain)
        for name, value in message.headers.items():
            mail[name] = value
        mail.set_content(message.body)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        if message.locale:  # after the content: setting it clears Content-* headers
            mail["Content-Language"] = message.locale
        return mail

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.ssl_context
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.starttls(context=self.ssl_context)
        return smtp

    def send(self, message: Outgoing) -> SendResult:
        mail = self.build(message)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"SMTP login refused: {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            error = PermanentError if all(c >= 500 for c in codes) else TransientError
            raise error(f"SMTP recipient refused: {codes}") from None
        except smtplib.SMTPResponseException as exc:
            error = PermanentError if exc.smtp_code >= 500 else TransientError
            raise error(f"SMTP {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"SMTP: {type(exc).__name__}") from None
        return SendResult(str(mail["Message-ID"]))
