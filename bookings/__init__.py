"""Booking requests: services offered at places, slots, bookings and their reminders.

The domain modules (`catalogue`, `states`, `views`, `refusals`, `notices`, `slots`,
`calendar`, `reference`) know no database, no platform and nothing of the runtime
(`bot`). The database lives in `bookings.models` and `bookings.store`, which only the
runtime imports; the dialogs reach a booking unit through `dialogs.ports.Bookings`.
See `bookings/README.md`.
"""
