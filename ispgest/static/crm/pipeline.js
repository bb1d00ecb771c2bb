// Pipeline board: drag a card onto another stage's column to move it. The move is posted
// with htmx to the same endpoint as the card's stage control, so the server applies the
// transition map and answers the re-rendered board (or the refusal) without a page reload.
(function () {
  "use strict";
  var dragged = null;

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".crm-card");
    if (!card) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.opportunity);
  });

  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".crm-column.crm-over").forEach(function (c) {
      c.classList.remove("crm-over");
    });
  });

  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".crm-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    column.classList.add("crm-over");
  });

  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".crm-column");
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("crm-over"); }
  });

  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".crm-column");
    if (!column || !dragged || !window.htmx) { return; }
    event.preventDefault();
    column.classList.remove("crm-over");
    var card = dragged;
    dragged = null;
    if (card.closest(".crm-column") === column) { return; }
    var values = { stage: column.dataset.stageId };
    if (column.dataset.stageKind === "lost") {
      var input = card.querySelector("input[name=lost_reason]");
      var reason = input && input.value ? input.value : window.prompt(column.dataset.reasonPrompt || "Motivo de pérdida");
      if (reason === null) { return; }
      values.lost_reason = reason;
    }
    window.htmx.ajax("POST", card.dataset.moveUrl, {
      source: card, target: "#board", swap: "outerHTML", values: values
    });
  });
})();
