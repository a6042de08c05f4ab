/*
 * Following an anchored quote back to its passage: stay on this page, mark the
 * quoted words in their paragraph and scroll to it.
 *
 * Contract: a quote's link is a.article-quote__source whose hash names the
 * paragraph's id and whose data-passage holds the quoted words. The listener
 * sits on the discussion, so comments inserted later work by themselves.
 */
(function () {
  "use strict";

  var discussion = document.getElementById("discussion");
  if (!discussion) {
    return;
  }

  function markPassage(paragraph, passage) {
    document.querySelectorAll("mark.quoted-passage").forEach(function (mark) {
      mark.replaceWith(document.createTextNode(mark.textContent));
    });
    paragraph.normalize();
    var walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var index = node.data.indexOf(passage);
      if (index !== -1) {
        var range = document.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + passage.length);
        var mark = document.createElement("mark");
        mark.className = "quoted-passage";
        range.surroundContents(mark);
        return;
      }
    }
  }

  discussion.addEventListener("click", function (event) {
    var link = event.target.closest("a.article-quote__source");
    if (!link) {
      return;
    }
    var paragraph = document.getElementById(link.hash.slice(1));
    if (!paragraph) {
      return;
    }
    // The paragraph is on this page (the article is above every discussion
    // page): stay here rather than reload the article from its first page.
    event.preventDefault();
    markPassage(paragraph, link.dataset.passage || "");
    window.history.pushState(null, "", link.hash);
    paragraph.scrollIntoView({ block: "center" });
  });
})();
