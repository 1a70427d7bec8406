"""The kit under every app: the one refusal error and the GOV.UK form kit. It holds no models and
imports no app, so accounts, thresholds, caf and referrals can all use it (it is the bottom layer)."""
