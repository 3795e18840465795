from django.urls import path

from . import appointment_views, calendar_views, organisation_views, views

app_name = "agenda"

urlpatterns = [
    path("creneaux/", views.SlotPublish.as_view(), name="publish"),
    path("vue/", calendar_views.CalendarPage.as_view(), name="calendar"),
    path("vue/evenements/", calendar_views.CalendarEvents.as_view(), name="calendar_events"),
    path("plans/", views.PlanList.as_view(), name="plans"),
    path("plans/nouveau/", views.PlanEdit.as_view(), name="plan_create"),
    path("plans/<int:pk>/", views.PlanEdit.as_view(), name="plan_update"),
    path("plans/<int:pk>/arreter/", views.PlanStop.as_view(), name="plan_stop"),
    path("absences/", views.AbsenceList.as_view(), name="absences"),
    path("tournees/", organisation_views.TourList.as_view(), name="tours"),
    path("tournees/nouvelle/", organisation_views.TourEdit.as_view(), name="tour_create"),
    path("tournees/<int:pk>/", organisation_views.TourEdit.as_view(), name="tour_update"),
    path("tournees/<int:pk>/arreter/", organisation_views.TourStop.as_view(), name="tour_stop"),
    path("points-de-telemedecine/nouveau/", organisation_views.SpotEdit.as_view(), name="spot_create"),
    path("points-de-telemedecine/<int:pk>/", organisation_views.SpotEdit.as_view(), name="spot_update"),
    path("calendrier/", views.CalendarFeedRenew.as_view(), name="feed_renew"),
    path("demandes/<int:pk>/creneaux/<int:slot_pk>/", views.BookSlot.as_view(), name="book"),
    path("demandes/<int:pk>/seances/", views.SessionsSet.as_view(), name="request_sessions"),
    path("rendez-vous/<int:pk>/annuler/", views.BookingCancel.as_view(), name="booking_cancel"),
    path("rendez-vous/<int:pk>/deplacer/<int:slot_pk>/", views.BookingMove.as_view(), name="booking_move"),
    path("rendez-vous/<int:pk>/issue/", views.BookingOutcome.as_view(), name="booking_outcome"),
    path("rendez-vous/<int:pk>/note/", views.BookingNote.as_view(), name="booking_note"),
    path("rendez-vous/<int:pk>/fiche.pdf", views.BookingSlip.as_view(), name="booking_slip"),
    path("mes-rendez-vous/", appointment_views.MyAppointments.as_view(), name="appointments"),
    path("mes-rendez-vous/<int:pk>/", appointment_views.AppointmentDetail.as_view(), name="appointment"),
    path("mes-rendez-vous/<int:pk>/issue/", appointment_views.AppointmentOutcome.as_view(), name="appointment_outcome"),
    path(
        "mes-rendez-vous/<int:pk>/debrief/", appointment_views.AppointmentDebrief.as_view(), name="appointment_debrief"
    ),
]
