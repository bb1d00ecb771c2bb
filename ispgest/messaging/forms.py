from django import forms
from django.utils.translation import gettext_lazy as _

from ispgest.core.forms import StyledFormMixin


class RepositoryUploadForm(StyledFormMixin, forms.Form):
    """ "Sube archivo a repositorio" (seed 004)."""

    name = forms.CharField(label=_("Nombre del recurso"), max_length=200)
    tag = forms.CharField(
        label=_("Etiqueta el recurso"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"list": "repository-tags", "autocomplete": "off"}),
    )
    file = forms.FileField(
        label=_("Selecciona un archivo"),
        help_text=_("PDF, imágenes, documentos de Office/LibreOffice o texto."),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


# How many of the client's documents "Enviar Email" offers to attach.
ATTACHABLE_LIMIT = 30


class ClientMailForm(StyledFormMixin, forms.Form):
    """ "Enviar Email" from the client's Correo section."""

    subject = forms.CharField(label=_("Asunto"), max_length=200)
    body = forms.CharField(
        label=_("Mensaje"), max_length=20_000, widget=forms.Textarea({"rows": 8})
    )
    include_notify = forms.BooleanField(
        label=_("Enviar también a los e-mails a notificar"), required=False
    )
    contacts = forms.TypedMultipleChoiceField(
        label=_("Contactos"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    attachments = MultipleFileField(label=_("Adjuntar archivos"), required=False)
    repository_files = forms.TypedMultipleChoiceField(
        label=_("Archivos del repositorio"), coerce=int, required=False
    )
    invoices = forms.TypedMultipleChoiceField(label=_("Facturas (PDF)"), coerce=int, required=False)
    receipts = forms.TypedMultipleChoiceField(label=_("Recibos (PDF)"), coerce=int, required=False)

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        from ispgest.billing.models import Invoice, Receipt
        from ispgest.messaging.models import RepositoryFile

        self.fields["contacts"].choices = [
            (c.pk, f"{c.name} <{c.email}>")
            for c in client.contacts.filter(active=True).exclude(email="").order_by("name")
        ]
        if not client.notify_email_list:
            del self.fields["include_notify"]
        else:
            self.fields["include_notify"].help_text = ", ".join(client.notify_email_list)
        self.fields["repository_files"].choices = [
            (f.pk, f"{f.name}{f' · {f.tag}' if f.tag else ''}")
            for f in RepositoryFile.objects.filter(client=client, hidden_at__isnull=True).order_by(
                "-created_at", "-id"
            )[:ATTACHABLE_LIMIT]
        ]
        self.fields["invoices"].choices = [
            (i.pk, f"{i.number_display or i.pk} · {i.issue_date:%d/%m/%Y}")
            for i in Invoice.objects.filter(client_id=client.pk)
            .exclude(number_display="")
            .order_by("-issue_date", "-id")[:ATTACHABLE_LIMIT]
        ]
        self.fields["receipts"].choices = [
            (r.pk, f"{r.number_display} · {r.payment.date:%d/%m/%Y}")
            for r in Receipt.objects.filter(payment__client_id=client.pk)
            .select_related("payment")
            .order_by("-id")[:ATTACHABLE_LIMIT]
        ]
        for name in ("contacts", "repository_files", "invoices", "receipts"):
            if not self.fields[name].choices:
                del self.fields[name]


class ReplyForm(StyledFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Respuesta"), max_length=20_000, widget=forms.Textarea({"rows": 6})
    )


class AssignForm(StyledFormMixin, forms.Form):
    """ "Sin asignar": give a received message to a client."""

    client = forms.IntegerField(
        label=_("Número de cliente"),
        min_value=1,
        help_text=_("El número (ID) del cliente; o elija uno de los sugeridos."),
    )
    add_contact = forms.BooleanField(
        label=_("Añadir el remitente a los contactos del cliente"), required=False
    )


class MailboxForm(StyledFormMixin, forms.ModelForm):
    password = forms.CharField(
        label=_("Contraseña"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Se guarda cifrada. Déjela vacía para conservar la actual."),
    )

    class Meta:
        from ispgest.messaging.models import Mailbox

        model = Mailbox
        fields = ["name", "host", "port", "security", "username", "password", "folder", "active"]


class MailTemplateForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        from ispgest.messaging.models import MailTemplate

        model = MailTemplate
        fields = ["name", "subject", "body", "active"]
        widgets = {"body": forms.Textarea({"rows": 8})}
