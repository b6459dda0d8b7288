"""Back-office login throttling (django-axes) with two limits: one for a username from one address,
and a higher one for an address whatever the usernames, so that trying many accounts from one place
(password spraying) is stopped too, without one colleague's typos locking out a whole office.

django-axes compares one number, `get_failures()`, with one limit, AXES_FAILURE_LIMIT, for every
lockout parameter. With AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"], this
handler reports the address's failures scaled so that they reach that limit exactly when they reach
AXES_IP_FAILURE_LIMIT.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None):
        pair_attempts, address_attempts = self.get_user_attempts(request, credentials)
        pair = pair_attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        address = address_attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        limit, address_limit = settings.AXES_FAILURE_LIMIT, settings.AXES_IP_FAILURE_LIMIT
        # address * limit // address_limit >= limit exactly when address >= address_limit.
        return max(pair, address * limit // address_limit)
