"""Client pages. The record (form, overview, history...) lives in urls_record.py; the list,
search, mass update and export in urls_list.py."""

from ispgest.clients import urls_list, urls_record

app_name = "clients"
urlpatterns = [*urls_list.urlpatterns, *urls_record.urlpatterns]
