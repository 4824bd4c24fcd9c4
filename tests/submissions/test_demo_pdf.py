"""The demo submission's PDF, read back with pypdf: its figures, navigation, attachments, tags and metadata."""

import csv
import io
import re

from pypdf.generic import IndirectObject


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def test_the_demo_pdf_states_the_station_figures_from_the_catalog(demo_pdf):
    text = demo_pdf["text"]
    assert "4.1" in text and "1.8" in text
    assert "Barking Learning Centre (stays open)" in " ".join(text.split())
    words = " ".join(text.split())
    assert "The one station that stays open with a published figure, Barking Learning Centre, has 1.8" in words
    assert "Dagenham, Rainham Road South has 4.1." in words


def test_the_demo_pdf_states_the_response_counts_from_the_aggregates(demo_pdf):
    words = " ".join(demo_pdf["text"].split())
    count = demo_pdf["dagenham_responses"]
    assert count > 300  # the generated demo puts most responses at Dagenham
    assert f"{count:,} responses were received about Dagenham, Rainham Road South" in words
    stance = demo_pdf["dagenham_stance"]
    assert stance["oppose"] > stance["support"] > 0 and stance["uncoded"] == 0  # the demo responses are analysed
    assert re.search(rf"Opposed {stance['oppose']:,}\b", words)
    assert re.search(rf"Supporting {stance['support']:,}\b", words)


def test_the_demo_pdf_quotes_residents_under_the_top_themes(demo_pdf):
    words = " ".join(demo_pdf["text"].split())
    assert "The themes raised most often" in words
    assert len(re.findall(r"Response [2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2}", words)) >= 9  # three themes at least


def test_the_demo_pdf_carries_the_bundled_petition_total(demo_pdf):
    assert demo_pdf["petition_ids"], "the demo submission bundles the demo petition"
    words = " ".join(demo_pdf["text"].split())
    assert demo_pdf["petition_total"] > 0
    assert f"Total {demo_pdf['petition_total']:,}" in words
    glance = " ".join(demo_pdf["reader"].pages[1].extract_text().split())
    assert "At a glance" in glance and f"{demo_pdf['petition_total']:,}" in glance
    assert "petition signatures, counted once per person across online and paper" in glance


def test_every_page_says_page_x_of_y_and_the_contents_give_page_numbers(demo_pdf):
    reader, pages = demo_pdf["reader"], demo_pdf["pages"]
    assert len(reader.pages) == pages > 3
    assert f"Page 1 of {pages}" in reader.pages[0].extract_text()
    assert f"Page {pages} of {pages}" in reader.pages[-1].extract_text()
    assert "Yours faithfully" in reader.pages[0].extract_text()  # the cover letter fits on its page
    contents = " ".join(reader.pages[1].extract_text().split())
    listed = re.search(r"1\. Dagenham, Rainham Road South[ .]+(\d+)", contents)
    assert listed, contents
    station_page = int(listed.group(1))
    assert "1. Dagenham, Rainham Road South" in reader.pages[station_page - 1].extract_text()


def test_the_pdf_has_bookmarks_for_its_sections(demo_pdf):
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(demo_pdf["reader"].outline)
    assert "At a glance" in titles
    assert "1. Dagenham, Rainham Road South" in titles
    assert any(title.startswith("Appendix A") for title in titles)


def test_the_figures_are_attached_inside_the_pdf_as_csv(demo_pdf):
    attachments = demo_pdf["reader"].attachments
    assert {"station-figures.csv", "responses-by-station.csv", "themes-by-station.csv"} <= set(attachments)
    rows = list(csv.DictReader(io.StringIO(attachments["responses-by-station.csv"][0].decode())))
    assert rows == [
        {
            "station": "dagenham",
            "responses": str(demo_pdf["dagenham_responses"]),
            "oppose": str(demo_pdf["dagenham_stance"]["oppose"]),
            "support": str(demo_pdf["dagenham_stance"]["support"]),
            "neutral": str(demo_pdf["dagenham_stance"]["neutral"]),
            "uncoded": str(demo_pdf["dagenham_stance"]["uncoded"]),
        }
    ]
    figures = list(csv.DictReader(io.StringIO(attachments["station-figures.csv"][0].decode())))
    assert figures[0]["crimes_reported_per_day"] == "4.1"
    if demo_pdf["petition_ids"]:
        assert "petition-totals.csv" in attachments


def test_the_pdf_is_tagged_in_british_english_with_title_author_and_pdfa_3b(demo_pdf):
    reader = demo_pdf["reader"]
    root = reader.trailer["/Root"]
    assert _resolve(root["/MarkInfo"])["/Marked"] is True or _resolve(root["/MarkInfo"])["/Marked"] == True  # noqa: E712
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title.startswith("Keep Dagenham police station open")
    assert reader.metadata.author == "Save Dagenham Police Station campaign (demo)"
    xmp = _resolve(root["/Metadata"]).get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)


def test_every_font_is_embedded(demo_pdf):
    fonts = {}
    for page in demo_pdf["reader"].pages:
        resources = _resolve(page["/Resources"])
        for name, font in _resolve(resources.get("/Font", {})).items():
            fonts[name] = _resolve(font)
    assert fonts
    for font in fonts.values():
        descendants = font.get("/DescendantFonts")
        described = _resolve(_resolve(descendants)[0]) if descendants else font
        descriptor = _resolve(described["/FontDescriptor"])
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]


def test_the_render_fetched_only_project_assets(demo_pdf):
    assert demo_pdf["refused"] == []
    assert demo_pdf["served"] and all(url.startswith("project:") for url in demo_pdf["served"])
    assert "project:fonts/regular.ttf" in demo_pdf["served"]


def test_no_personal_data_reaches_the_pdf(demo_pdf):
    # The demo's respondents gave postcodes; the map shows sectors ("RM10 7"), never a full postcode.
    assert not re.search(r"\b(RM|IG)\d{1,2} \d[A-Z]{2}\b", demo_pdf["text"].replace("RM10 7TU", ""))
    assert "@" not in demo_pdf["text"]
