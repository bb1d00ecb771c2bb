// Confirm dangerous actions: <form data-confirm="¿Seguro?">.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// A control marked data-autosubmit submits its form when it changes.
document.addEventListener("change", function (event) {
  const control = event.target;
  if (control.dataset && "autosubmit" in control.dataset && control.form) {
    control.form.requestSubmit();
  }
});

// Links of the former client overview (/clientes/7/#panel-monedero) open the section.
(function () {
  const match = location.pathname.match(/^\/clientes\/(\d+)\/$/);
  if (match && location.hash.startsWith("#panel-")) {
    location.replace("/clientes/" + match[1] + "/seccion/" + location.hash.slice(7) + "/");
  }
})();
