"""Ticks that differ in shape, not only in colour (STYLE: "State without colour").

Textual's Checkbox, RadioButton and SelectionList draw the same glyph (▐X▌, ▐●▌) checked or not
and tell the states apart by colour alone: over SSH on an unknown theme, or with NO_COLOR=1, the
Terms box looked accepted when it was not. These draw `[x]`/`[ ]` and `(•)`/`( )`, keep Textual's
colours on top, and behave exactly like the widgets they extend (same messages, same CSS types)."""
from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, OptionList, RadioButton, SelectionList
from textual.widgets.selection_list import SelectionType

CHECKED, UNCHECKED = "[x]", "[ ]"
CHOSEN, NOT_CHOSEN = "(•)", "( )"


def _render(button, glyph: str) -> Content:
    label = button.label.pad(1, 1).stylize_before(button.get_visual_style("toggle--label"))
    mark = Content.styled(glyph, button.get_visual_style("toggle--button"))
    return Content.assemble(mark, label)


class TickBox(Checkbox):
    """A Checkbox drawing `[x]` when ticked and `[ ]` when not."""

    def render(self) -> Content:
        return _render(self, CHECKED if self.value else UNCHECKED)

    def get_content_height(self, container, viewport, width: int) -> int:
        # Textual's ToggleButton is always one line high; with `text-wrap: wrap` (app.tcss) a long
        # label (the Terms sentence at 80 columns) takes the lines it wraps to, nothing cut off.
        return max(1, self.render().get_height(self.styles, width))


class RadioChoice(RadioButton):
    """A RadioButton drawing `(•)` when chosen and `( )` when not."""

    def render(self) -> Content:
        return _render(self, CHOSEN if self.value else NOT_CHOSEN)


class TickList(SelectionList[SelectionType]):
    """A SelectionList drawing `[x]`/`[ ]` before each option (the gutter keeps its width of 4)."""

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)  # the prompt, without SelectionList's colour-only button
        index = self.scroll_offset.y + y
        try:
            selection = self.get_option_at_index(index)
        except Exception:  # a line below the last option
            return line
        component = "selection-list--button"
        if selection.value in self._selected:
            component += "-selected"
        if self.highlighted == index:
            component += "-highlighted"
        style = self.get_component_rich_style(component) + Style(meta={"option": index})
        underlying = next(iter(line)).style if line.cell_length else self.rich_style
        glyph = CHECKED if selection.value in self._selected else UNCHECKED
        return Strip([Segment(glyph, style), Segment(" ", underlying), *line])
