"""Django admin for clients, should the site mount it: clients are never deleted there
either (no delete permission, no bulk delete action); edits belong to the record pages."""

from django.contrib import admin

from ispgest.clients.models import Client, ClientEvent


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "email", "status")
    search_fields = ("search_text",)
    readonly_fields = [f.name for f in Client._meta.concrete_fields]
    actions = None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ClientEvent)
class ClientEventAdmin(admin.ModelAdmin):
    list_display = ("id", "client", "created_at", "kind", "summary")
    actions = None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
