// Transcript browser: show the transcripts that match every chosen filter.
(function () {
  "use strict";
  var selects = document.querySelectorAll("#filters select");
  var items = document.querySelectorAll("#transcript-list .transcript");
  var count = document.getElementById("filter-count");
  function apply() {
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      var match = true;
      for (var j = 0; j < selects.length && match; j++) {
        var want = selects[j].value;
        var key = "data-" + selects[j].getAttribute("data-filter");
        match = !want || items[i].getAttribute(key) === want;
      }
      items[i].hidden = !match;
      if (match) {
        shown++;
      }
    }
    count.textContent = shown + " of " + items.length + " shown";
  }
  for (var j = 0; j < selects.length; j++) {
    selects[j].addEventListener("change", apply);
  }
  apply();
})();
