"""The e-mails staff get about their complaints, in the member's language (the console's catalogs)."""
from __future__ import annotations

from typing import Any

from ..i18n import gettext_for


def staff_mail(kind: str, complaint: Any, event: Any, language: str, base_url: str) -> tuple[str, str]:
    """(subject, text) for ASSIGNED or CUSTOMER_WROTE; the text links to the complaint's page in the console."""
    _ = gettext_for(language)
    link = f"{base_url.rstrip('/')}/console/complaints/{complaint.reference}"
    values = {"reference": complaint.reference, "subject": complaint.subject, "priority": complaint.priority,
              "link": link}
    if kind == "assigned":
        subject = _("[%(reference)s] Assigned to you: %(subject)s") % values
        text = _("Complaint %(reference)s (%(priority)s) is now yours.\n\nOpen it: %(link)s") % values
    else:
        subject = _("[%(reference)s] The customer wrote again: %(subject)s") % values
        text = (_("The customer of complaint %(reference)s wrote:") % values + "\n\n" + (event.message or "") +
                "\n\n" + _("Open it: %(link)s") % values)
    return subject, text
