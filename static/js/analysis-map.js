// 民情地图: draws the grids from our own GeoJSON with ECharts (no tiles, no network), coloured by the
// chosen measure; hover shows a grid's figures, a click opens the grid's cases in the queue.
(function () {
  "use strict";
  function start() {
    var holder = document.getElementById("grid-map");
    var source = document.getElementById("map-data");
    if (!holder || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    if (!data.geojson.features.length) return;
    var byName = {};
    data.regions.forEach(function (r) { byName[r.name] = r; });
    var success = data.measure === "success";
    function value(r) {
      if (success) return r.success_rate === null ? null : Math.round(r.success_rate * 1000) / 10;
      return r[data.measure];
    }
    var values = data.regions.map(value).filter(function (v) { return v !== null; });
    var max = success ? 100 : Math.max(1, Math.max.apply(null, values.concat([0])));
    window.echarts.registerMap("fengqiao-grids", data.geojson);
    var chart = window.echarts.init(holder, null, { renderer: "canvas" });
    var narrow = holder.clientWidth < 600;  // a phone: the scale goes under the grids
    // The wall display's map (over 1,000 px wide) is read from across the room: larger names.
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var r = byName[p.name];
          if (!r) return "";
          var rate = r.success_rate === null ? "—（0 件办结）"
            : (r.success_rate * 100).toFixed(1) + "%，" + r.agreed + " / " + r.concluded + " 件";
          return "<b>" + r.community + " · " + r.grid + "</b><br>新增 " + r.registered + "　在办 " + r.open +
            "<br>逾期 " + r.overdue + "　预警 " + r.warning + "<br>调解成功率 " + rate + "<br>就地化解 " + r.on_spot +
            "<br><small>" + (data.measure === "on_spot" ? "点击查看排查记录" : "点击查看案件") + "</small>";
        }
      },
      // On a phone the scale lies along the bottom, under the grids, not over them.
      visualMap: Object.assign({
        min: 0, max: max, calculable: true,
        inRange: { color: success ? ["#fdecea", "#1e8449"] : ["#fdf2e9", "#c0392b"] }
      }, narrow ? { orient: "horizontal", left: "center", bottom: 5, itemHeight: 140 } : { left: 10, bottom: 10 }),
      series: [{
        type: "map", map: "fengqiao-grids", roam: true, nameProperty: "name", layoutCenter: ["50%", narrow ? "45%" : "50%"], layoutSize: "95%",
        label: { show: true, fontSize: holder.clientWidth >= 1000 ? 16 : 11, color: "#222", textBorderColor: "#fff", textBorderWidth: 2, formatter: function (p) { var r = byName[p.name]; return r ? r.grid : ""; } },
        itemStyle: { borderColor: "#555", borderWidth: 1, areaColor: "#eeeeee" },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#f4d03f" } },
        data: data.regions.map(function (r) { return { name: r.name, value: value(r) }; })
      }]
    });
    chart.on("click", function (p) { var r = byName[p.name]; if (r) window.location.href = r.drill; });
    window.addEventListener("resize", function () { chart.resize(); });
    holder.setAttribute("data-ready", "true");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
