/* The report's charts, drawn with Apache ECharts (vendored, static/vendor/echarts/) from the
   chart specs the page carries as JSON (reports/charts.py). No inline script: CSP holds.
   Clicking a bar, point or cell opens the drill-down of the figure behind it. */
(function () {
  "use strict";
  var PALETTE = ["#2c7fb8", "#c0392b", "#27ae60", "#f39c12", "#8e44ad"];

  function option(spec, narrow) {
    var base = {
      color: PALETTE,
      tooltip: { trigger: spec.type === "line" ? "axis" : "item" },
      legend: { top: 0, data: spec.series.map(function (s) { return s.name; }) },
      grid: { left: 48, right: 16, top: 48, bottom: 48, containLabel: true },
      aria: { enabled: true }
    };
    if (spec.type === "pie") {
      base.legend.data = spec.categories;
      base.series = [{
        name: spec.series[0].name, type: "pie", radius: ["35%", "65%"], center: ["50%", "58%"],
        label: { formatter: "{b}\n{c} 件（{d}%）" },
        data: spec.categories.map(function (c, i) { return { name: c, value: spec.series[0].data[i] }; })
      }];
      return base;
    }
    if (spec.type === "heatmap") {
      var peak = Math.max.apply(null, [1].concat(spec.series[0].data.map(function (d) { return d[2]; })));
      base.tooltip = {
        formatter: function (p) { return spec.rows[p.value[1]] + " · " + spec.categories[p.value[0]] + "：" + p.value[2] + " 件"; }
      };
      base.xAxis = { type: "category", name: "类别", data: spec.categories, axisLabel: { interval: 0, rotate: 30 } };
      base.yAxis = { type: "category", name: "社区", data: spec.rows };
      base.visualMap = { min: 0, max: peak, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                         inRange: { color: ["#eef5fb", "#2c7fb8"] } };
      base.grid.bottom = 80;
      base.series = [{ name: "件数", type: "heatmap", data: spec.series[0].data, label: { show: true } }];
      return base;
    }
    base.xAxis = { type: "category", name: spec.table.headers[0], data: spec.categories,
                   axisLabel: { interval: 0, rotate: narrow || spec.categories.length > 6 ? 40 : 0 } };
    base.yAxis = { type: "value", name: spec.series[0].name === "天数" ? "天" : "件", minInterval: 1 };
    base.series = spec.series.map(function (s) {
      return { name: s.name, type: spec.type, data: s.data, label: { show: true, position: "top" },
               smooth: false, barMaxWidth: 36 };
    });
    return base;
  }

  function draw() {
    var holder = document.getElementById("report-charts");
    if (!holder || !window.echarts) { return; }
    var specs = JSON.parse(holder.textContent);
    var drillBase = document.getElementById("report-drill-base").getAttribute("data-url");
    var charts = [];
    specs.forEach(function (spec) {
      var el = document.querySelector('[data-chart="' + spec.id + '"]');
      if (!el) { return; }
      var chart = window.echarts.init(el, null, { renderer: "svg", locale: "ZH" });
      chart.setOption(option(spec, el.clientWidth < 520));
      chart.on("click", function (params) {
        var drills = spec.drills[spec.type === "pie" ? 0 : params.seriesIndex] || [];
        var key = drills[params.dataIndex];
        if (key) { window.location.href = drillBase + encodeURIComponent(key); }
      });
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
