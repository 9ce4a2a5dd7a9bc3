"""The PDF engine's long-document fix: page references are built once, not per read."""

import pydyf

from portfolio.exports import pdf as portfolio_pdf


def test_page_references_are_exactly_pydyfs_and_follow_new_pages():
    document = pydyf.PDF()
    for _ in range(3):
        document.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = document.page_references
    assert first is document.page_references  # kept, not rebuilt on each read
    expected = tuple(f"{number} 0 R".encode() for number in document.pages["Kids"][::3])
    assert first == expected and len(first) == 3
    document.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(document.page_references) == 4
    assert document.page_references[:3] == first
    # Importing the module twice does not wrap the property twice.
    portfolio_pdf._linear_page_references()
    assert pydyf.PDF.page_references.fget.cached_by_portfolio
