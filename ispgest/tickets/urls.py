from django.urls import path

from ispgest.tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("mios/", views.my_tickets, name="mine"),
    path("nuevo/", views.ticket_create, name="create"),
    path("cliente/<int:client_id>/nuevo/", views.client_ticket_create, name="client_create"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/responder/", views.ticket_reply, name="reply"),
    path("<int:pk>/estado/", views.ticket_transition, name="transition"),
    path("<int:pk>/asignar/", views.ticket_assign, name="assign"),
    path("<int:pk>/editar/", views.ticket_edit, name="edit"),
    path("adjuntos/<int:pk>/", views.attachment_download, name="attachment"),
    path("categorias/", views.category_list, name="category_list"),
    path("categorias/nueva/", views.category_edit, name="category_create"),
    path("categorias/<int:pk>/editar/", views.category_edit, name="category_edit"),
    path("plazos/", views.due_times, name="due_times"),
]
