from django.urls import path

from ispgest.ops import views

app_name = "ops"
urlpatterns = [
    path("cola/", views.task_list, name="task_list"),
    path("tareas/", views.job_list, name="job_list"),
    path("tareas/tabla/", views.job_table, name="job_table"),
    path("tareas/<str:name>/", views.job_detail, name="job_detail"),
    path("tareas/<str:name>/programacion/", views.job_schedule, name="job_schedule"),
    path("tareas/<str:name>/activar/", views.job_toggle, name="job_toggle"),
    path("tareas/<str:name>/ejecutar/", views.job_run, name="job_run"),
]
