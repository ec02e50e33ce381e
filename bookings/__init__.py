"""Booking requests: services offered at places, slots, bookings and their reminders.

The domain only: no platform and nothing of the runtime (`bot`). The dialogs reach it
through `BookingDesk` (in `dialogs.ports.Services.bookings`).
"""

from bookings.catalogue import Catalogue, ContactNeed, Mode, Service, load_catalogue
from bookings.states import Action, InvalidTransition, Status
from bookings.store import BookingDesk, BookingUnit, Refusal, Refused
from bookings.views import Booked, BookingView, Contact, SlotView

__all__ = [
    "Action",
    "Booked",
    "BookingDesk",
    "BookingUnit",
    "BookingView",
    "Catalogue",
    "Contact",
    "ContactNeed",
    "InvalidTransition",
    "Mode",
    "Refusal",
    "Refused",
    "Service",
    "SlotView",
    "Status",
    "load_catalogue",
]
