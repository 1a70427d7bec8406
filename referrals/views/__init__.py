"""The referral and step-down pages: step-up (making a referral, the front-door queue and decisions)
and step-down (sending a family to early help, the pick-up queue and the monthly figures)."""

from referrals.views import figures, stepdown, stepup

app_name = "referrals"
urlpatterns = [*stepup.urlpatterns, *stepdown.urlpatterns, *figures.urlpatterns]
