"""PostgreSQL's CSV cut into segments of whole rows, line breaks inside quoted fields kept."""

from mdm.store._current_arrow import _rows_end


def test_a_segment_ends_after_the_last_line_break_outside_quotes():
    data = bytearray(b'crm,1,"a ""b""",x\ncrm,"2\nnext",y\ncrm,"3\nopen')
    assert data[: _rows_end(data)] == b'crm,1,"a ""b""",x\ncrm,"2\nnext",y\n'


def test_no_whole_row_gives_no_segment():
    assert _rows_end(bytearray(b'crm,"1\nstill open')) == 0
    assert _rows_end(bytearray(b"crm,1,no line break yet")) == 0
