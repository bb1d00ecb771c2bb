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

// Sections that only apply to some choices: <div data-reveal-with="id_of_control"
// data-reveal-values="1,3"> shows while the checkbox is checked or the select holds one of
// the values (the server validates whatever is sent).
function ispgestReveal(root) {
  (root || document).querySelectorAll("[data-reveal-with]").forEach(function (section) {
    const control = document.getElementById(section.dataset.revealWith);
    if (!control) return;
    let show;
    if (control.type === "checkbox") {
      show = control.checked;
    } else {
      const values = (section.dataset.revealValues || "").split(",").filter(Boolean);
      show = values.includes(control.value);
    }
    section.hidden = !show;
  });
}
document.addEventListener("DOMContentLoaded", function () { ispgestReveal(); });
document.addEventListener("change", function () { ispgestReveal(); });
document.addEventListener("htmx:afterSettle", function () { ispgestReveal(); });

// A button marked data-fill="#field" data-fill-value="7" puts the value in that field.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-fill]") : null;
  if (!button) return;
  var field = document.querySelector(button.dataset.fill);
  if (field) {
    field.value = button.dataset.fillValue;
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }
});
