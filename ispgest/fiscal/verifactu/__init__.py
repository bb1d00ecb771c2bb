"""VERI*FACTU (Spain, RD 1007/2023 and Orden HAC/1177/2024): the fiscal regime adapter that
turns each issued invoice or credit note into a chained invoice record, prints its QR and
submits the records to the AEAT. See docs/verifactu.md."""
