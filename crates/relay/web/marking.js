// The marking line, top and bottom of every page (the cell's `[cell] marking`, from
// /cell.json): a screenshot or a projected screen says it is an exercise. The page carries
// the default until the cell's arrives, so it is never unmarked.

/** Shows `marking` (a string; anything else keeps what is shown) in every marking bar. */
export function showMarking(marking) {
  if (typeof marking !== "string" || !marking.trim()) return;
  for (const bar of document.querySelectorAll(".marking")) bar.textContent = marking;
}
