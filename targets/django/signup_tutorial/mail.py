"""An e-mail backend that costs what Django's default SMTP backend costs: one mail-server round trip.

Django's ``EmailBackend`` (SMTP) opens a connection, says EHLO, STARTTLS,
authenticates and hands the message over before ``send_mail`` returns, all
inside the request that triggered it: typically 100-500 ms against a real
provider. The lab has no mail server, so this stand-in waits 250 ms per message
and writes one line to stderr instead of delivering anything.
"""

import sys
import time

from django.core.mail.backends.base import BaseEmailBackend

SMTP_ROUND_TRIP_S = 0.25


class SlowSMTPStandIn(BaseEmailBackend):
    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages:
            time.sleep(SMTP_ROUND_TRIP_S)
            print(f"signup_tutorial: mail to {', '.join(message.to)}: {message.subject}", file=sys.stderr, flush=True)
            sent += 1
        return sent
