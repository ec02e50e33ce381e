"""The fault suite: delivery probed from outside, through the fake platforms on 127.0.0.1,
asserting per person that every expected reply arrives exactly once and in order."""
