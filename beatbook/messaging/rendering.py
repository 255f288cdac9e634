"""What a subscriber receives: the email (HTML and plain text, with its headers) and the text.

The body is sent as its author wrote it; only the chrome around it (greeting lines, the
"Was this useful?" question, the links to manage or leave) is in the subscriber's language.
Paragraphs are separated by blank lines and every web address in them goes through a signed
click link (`links.click_token`, naming the link's place in the message), so clicks count
without the destination being changeable.

Rendering a Django template for each of 100,000 recipients would be most of the cost of
sending, so a message is rendered once per language and format with markers where each
recipient's own links go (`Renderer`), and each email is that text with the markers replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import links
from .models import Delivery, EmailFormat, Message, MessageKind, MessagingSettings, Subscriber
from .providers import OutgoingEmail

URL_PATTERN = links.URL_PATTERN
body_links = links.body_links
MARKER = re.compile(r"@@bb:([a-z]+)(?::(\d+))?@@")


def message_id_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def message_id(delivery_id: int, message_pk: int) -> str:
    """Stable for a delivery: a resend after a crash carries the same Message-ID, so the
    receiving side (and our tests) can recognise it as the same message."""
    return f"<delivery-{delivery_id}.{message_pk}@{message_id_domain()}>"


def paragraphs(body: str) -> list[str]:
    return [part.strip() for part in re.split(r"\n\s*\n", body.strip()) if part.strip()]


def _html_paragraph(text: str, link_numbers: dict[str, int]) -> SafeString:
    """Escape a paragraph and turn its addresses into marked links (the marker becomes the
    recipient's click link); single line breaks are kept."""
    pieces: list[str] = []
    last = 0
    for match in URL_PATTERN.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        url = match.group(0)
        pieces.append(f'<a href="@@bb:click:{link_numbers[url]}@@">{escape(url)}</a>')
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces).replace("\n", "<br>\n"))  # noqa: S308 - every piece escaped above


def _text_paragraph(text: str, link_numbers: dict[str, int]) -> str:
    return URL_PATTERN.sub(lambda match: f"@@bb:click:{link_numbers[match.group(0)]}@@", text)


def photo_url(message: Message) -> str:
    if not message.signature_photo:
        return ""
    return links.absolute(default_storage.url(message.signature_photo))


def survey_url(message: Message) -> str:
    if message.kind != MessageKind.SURVEY or message.survey is None:
        return ""
    return links.absolute(reverse("your_views:form", kwargs={"slug": message.survey.slug}))


# Signed tokens are URL-safe (letters, digits, "-", "_", ":"), so `reverse` puts them in a
# path unchanged and a resolved path with a stand-in token is a template for every recipient.
SLOT = "BEATBOOKSLOT"


@dataclass(frozen=True)
class LinkShapes:
    rate_yes: str
    rate_no: str
    manage: str
    unsubscribe: str
    open: str
    click: str

    @classmethod
    def make(cls) -> LinkShapes:
        def url(name: str, **kwargs: str) -> str:
            return links.absolute(reverse(f"stay_informed:{name}", kwargs={"token": SLOT, **kwargs}))

        return cls(
            rate_yes=url("rate", answer="yes"),
            rate_no=url("rate", answer="no"),
            manage=url("manage"),
            unsubscribe=url("unsubscribe"),
            open=url("open"),
            click=url("click"),
        )


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class Renderer:
    """One message's email and text, rendered once per language and filled in per recipient."""

    def __init__(self, message: Message, force_settings: MessagingSettings) -> None:
        self.message = message
        self.settings = force_settings
        self.links = body_links(message.body)
        self.link_numbers = {url: number for number, url in enumerate(self.links)}
        self.survey_url = survey_url(message)
        self._cache: dict[tuple[str, bool], Rendered] = {}
        self.shapes = LinkShapes.make()

    def _context(self) -> dict[str, object]:
        message = self.message
        return {
            "message": message,
            "kind": message.get_kind_display(),
            "html_paragraphs": [_html_paragraph(p, self.link_numbers) for p in paragraphs(message.body)],
            "text_paragraphs": [_text_paragraph(p, self.link_numbers) for p in paragraphs(message.body)],
            "photo_url": photo_url(message),
            "survey_link": "@@bb:survey@@" if self.survey_url else "",
            "useful_yes": "@@bb:yes@@",
            "useful_no": "@@bb:no@@",
            "manage": "@@bb:manage@@",
            "unsubscribe": "@@bb:unsubscribe@@",
            "open_pixel": "@@bb:open@@" if self.settings.open_tracking else "",
            "sender_name": self.settings.sender_name or settings.SITE_NAME,
        }

    def _template(self, language: str, html: bool) -> Rendered:
        key = (language, html)
        if key not in self._cache:
            with translation.override(language):
                context = self._context()
                text = render_to_string("messaging/email/message.txt", context)
                page = render_to_string("messaging/email/message.html", context) if html else None
            self._cache[key] = Rendered(subject=self.message.subject, text=text, html=page)
        return self._cache[key]

    def _fill(self, template: str, values: dict[str, str], *, html: bool) -> str:
        def replace(match: re.Match[str]) -> str:
            name, number = match.group(1), match.group(2)
            value = values[f"click:{number}"] if name == "click" else values[name]
            return escape(value) if html else value

        return MARKER.sub(replace, template)

    def _values(self, delivery: Delivery, subscriber: Subscriber) -> dict[str, str]:
        """Each recipient's own links: the same addresses `links` makes (a test holds them
        equal), with the URL resolved once per message rather than five times per email."""
        shapes = self.shapes
        delivery_token = links.delivery_token(delivery.pk)
        values = {
            "yes": shapes.rate_yes.replace(SLOT, delivery_token),
            "no": shapes.rate_no.replace(SLOT, delivery_token),
            "manage": shapes.manage.replace(SLOT, links.subscriber_token(subscriber, links.Purpose.MANAGE)),
            "unsubscribe": shapes.unsubscribe.replace(
                SLOT, links.subscriber_token(subscriber, links.Purpose.UNSUBSCRIBE)
            )
            + f"?d={delivery_token}",
        }
        for number in range(len(self.links)):
            values[f"click:{number}"] = shapes.click.replace(SLOT, links.click_token(delivery.pk, number))
        if self.survey_url:
            values["survey"] = f"{self.survey_url}?d={delivery_token}"
        if self.settings.open_tracking:
            values["open"] = shapes.open.replace(SLOT, delivery_token)
        return values

    def email(self, delivery: Delivery, subscriber: Subscriber) -> OutgoingEmail:
        wants_html = subscriber.email_format == EmailFormat.HTML
        rendered = self._template(subscriber.language or settings.LANGUAGE_CODE, wants_html)
        values = self._values(delivery, subscriber)
        return OutgoingEmail(
            to=subscriber.email,
            subject=rendered.subject,
            text=self._fill(rendered.text, values, html=False),
            html=self._fill(rendered.html, values, html=True) if rendered.html is not None else None,
            message_id=message_id(delivery.pk, self.message.pk),
            reference=str(delivery.pk),
            unsubscribe_url=values["unsubscribe"],
            from_name=self.settings.sender_name,
            reply_to=self.settings.reply_to,
        )

    def sms(self, delivery: Delivery, subscriber: Subscriber) -> str:
        with translation.override(subscriber.language or settings.LANGUAGE_CODE):
            return render_to_string(
                "messaging/email/message_sms.txt",
                {"text": self.message.sms_body, "manage": links.manage_url(subscriber)},
            ).strip()


def digest_email(
    *, digest_pk: int, subscriber: Subscriber, deliveries: list[Delivery], force_settings: MessagingSettings
) -> OutgoingEmail:
    """One email bundling a week's held messages. Links inside each message go through that
    message's own delivery, so clicks and ratings count against the message they belong to."""
    language = subscriber.language or settings.LANGUAGE_CODE
    items = []
    for delivery in deliveries:
        renderer = Renderer(delivery.message, force_settings)
        values = renderer._values(delivery, subscriber)
        items.append(
            {
                "message": delivery.message,
                "kind": delivery.message.get_kind_display(),
                "html_paragraphs": [
                    mark_safe(renderer._fill(p, values, html=True))  # noqa: S308 - escaped in _html_paragraph
                    for p in (_html_paragraph(p, renderer.link_numbers) for p in paragraphs(delivery.message.body))
                ],
                "text_paragraphs": [
                    renderer._fill(_text_paragraph(p, renderer.link_numbers), values, html=False)
                    for p in paragraphs(delivery.message.body)
                ],
                "survey_link": values.get("survey", ""),
                "useful_yes": values["yes"],
                "useful_no": values["no"],
            }
        )
    unsubscribe = links.unsubscribe_url(subscriber)
    context = {
        "items": items,
        "manage": links.manage_url(subscriber),
        "unsubscribe": unsubscribe,
        "sender_name": force_settings.sender_name or settings.SITE_NAME,
    }
    with translation.override(language):
        subject = translation.ngettext(
            "Your weekly round-up: %(count)s message", "Your weekly round-up: %(count)s messages", len(items)
        ) % {"count": len(items)}
        text = render_to_string("messaging/email/message_digest.txt", context)
        html = (
            render_to_string("messaging/email/message_digest.html", context)
            if subscriber.email_format == EmailFormat.HTML
            else None
        )
    return OutgoingEmail(
        to=subscriber.email,
        subject=subject,
        text=text,
        html=html,
        message_id=f"<digest-{digest_pk}@{message_id_domain()}>",
        reference=f"digest-{digest_pk}",
        unsubscribe_url=unsubscribe,
        from_name=force_settings.sender_name,
        reply_to=force_settings.reply_to,
    )
