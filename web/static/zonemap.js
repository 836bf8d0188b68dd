// The point picker (web/zonemap.py point_picker): a click or tap on the map moves the red
// marker there and fills the form's hidden lat/lon; the arrow keys nudge it (20 m, 100 m with
// Shift). Without this script the inputs keep the point the server gave (the 町丁目's).
(function () {
  "use strict";
  var M_PER_DEG = 111195;

  function setUp(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    var svg = root.querySelector("svg");
    var marker = root.querySelector("[data-pointpicker-marker]");
    var latInput = root.querySelector("[data-pointpicker-lat]");
    var lonInput = root.querySelector("[data-pointpicker-lon]");
    var status = root.querySelector("[data-pointpicker-status]");
    var west = parseFloat(root.dataset.west), north = parseFloat(root.dataset.north);
    var scale = parseFloat(root.dataset.scale), cos = parseFloat(root.dataset.cos);
    var width = parseFloat(root.dataset.width), height = parseFloat(root.dataset.height);
    var dots = Array.prototype.map.call(root.querySelectorAll("circle[data-name]"), function (c) {
      return { name: c.dataset.name, x: parseFloat(c.getAttribute("cx")), y: parseFloat(c.getAttribute("cy")) };
    });
    var at = { x: 0, y: 0 };
    var m = /translate\(([-\d.]+)[ ,]+([-\d.]+)\)/.exec(marker.getAttribute("transform") || "");
    if (m) { at.x = parseFloat(m[1]); at.y = parseFloat(m[2]); }

    function moveTo(x, y) {
      at.x = Math.min(Math.max(x, 0), width);
      at.y = Math.min(Math.max(y, 0), height);
      marker.setAttribute("transform", "translate(" + at.x.toFixed(1) + " " + at.y.toFixed(1) + ")");
      var lat = north - at.y / scale, lon = west + at.x / (cos * scale);
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      var nearest = null, best = Infinity;
      dots.forEach(function (d) {
        var dd = (d.x - at.x) * (d.x - at.x) + (d.y - at.y) * (d.y - at.y);
        if (dd < best) { best = dd; nearest = d; }
      });
      status.textContent = "選んだ地点: 北緯 " + lat.toFixed(5) + "、東経 " + lon.toFixed(5) +
        (nearest ? "（いちばん近い町丁目: " + nearest.name + "）" : "");
    }

    svg.addEventListener("click", function (event) {
      var matrix = svg.getScreenCTM();
      if (!matrix) return;
      var point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      var local = point.matrixTransform(matrix.inverse());
      moveTo(local.x, local.y);
    });
    svg.addEventListener("keydown", function (event) {
      var metres = event.shiftKey ? 100 : 20;
      var step = metres / M_PER_DEG * scale;  // map units: a metre is as long each way
      var moves = { ArrowUp: [0, -step], ArrowDown: [0, step], ArrowLeft: [-step, 0], ArrowRight: [step, 0] };
      var move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      moveTo(at.x + move[0], at.y + move[1]);
    });
  }

  function setUpAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-pointpicker]"), setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
