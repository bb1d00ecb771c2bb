from ispgest.core.charts import compact, nice_max, render_chart
from ispgest.core.dashboard import Chart, ChartPoint


def test_axis_tops_are_round_numbers():
    assert [nice_max(v) for v in (0, 7, 12, 180, 2400, 51000)] == [1, 10, 20, 200, 2500, 100000]
    assert [compact(v) for v in (0, 950, 12000, 1500000)] == ["0", "950", "12 k", "1,5 M"]


def test_bars_are_links_with_escaped_labels_and_a_hidden_data_table():
    chart = Chart(
        key="z",
        title="Clientes por zona",
        series=["Activos"],
        kind="bars",
        points=[
            ChartPoint("<b>Norte</b>", [10], ["10"], ["/clientes/?zone=1&status=active"]),
            ChartPoint("Sur", [5], ["5"], [""]),
        ],
    )
    svg = str(render_chart(chart))
    assert "<b>" not in svg and "&lt;b&gt;Norte&lt;/b&gt;" in svg
    assert '<a href="/clientes/?zone=1&amp;status=active"><rect' in svg
    assert svg.count("<a href") == 1  # "Sur" has no list behind it
    assert '<table class="visually-hidden">' in svg and "<td>5</td>" in svg
    assert "<script" not in svg and "style=" not in svg


def test_grouped_columns_scale_to_the_largest_value_and_survive_an_empty_chart():
    chart = Chart(
        key="m",
        title="Facturado y cobrado",
        series=["Facturado", "Cobrado"],
        points=[
            ChartPoint("ene 26", [100.0, 50.0], ["$ 100", "$ 50"], ["/a", "/b"]),
            ChartPoint("feb 26", [0.0, 0.0], ["$ 0", "$ 0"], ["/c", "/d"]),
        ],
    )
    svg = str(render_chart(chart))
    heights = [float(h) for h in __import__("re").findall(r'height="([\d.]+)"', svg)]
    assert max(heights) == 202.0  # the tallest column fills the plot (240 - 10 - 28)
    assert "chart-s1" in svg and "Cobrado" in svg
    empty = Chart(key="e", title="Nada", series=["x"], points=[])
    assert "<svg" in str(render_chart(empty))
