"""The words a consultation is read in: what its sites are called, its proposals and its published figures.

A consultation is about sites of one kind (police stations, libraries, clinics), and residents should read
about theirs in its own words. Each consultation stores them (`site_word`, `site_word_plural`,
`proposal_wording`, `figure_labels`); what it leaves out reads generically ("site", "Close the site"), never
in another consultation's words. The resident pages, the submission PDF and the API all read them from here.
"""

from dataclasses import dataclass

from consultation.catalog.models import FIGURES, PROPOSALS, Consultation, Station

DEFAULT_SITE_WORD = "site"
DEFAULT_SITE_WORD_PLURAL = "sites"
# "{site}" is replaced by the consultation's site word.
GENERIC_PROPOSALS = {
    "close": "Close the {site}",
    "retain_24h": "Keep the {site} open 24 hours a day",
    "retain": "Keep the {site} open",
    "dispose": "Vacate the {site} and sell it",
    "relocate": "Move the {site} to another place",
}
GENERIC_FIGURE_LABELS = {
    "crimes_reported_per_day": "Crimes reported at this {site} per day",
    "visitors_per_day": "Visitors to this {site} per day",
}
assert set(GENERIC_PROPOSALS) == set(PROPOSALS) and set(GENERIC_FIGURE_LABELS) == set(FIGURES)


@dataclass(frozen=True)
class Wording:
    site: str
    sites: str
    proposals: dict[str, str]
    # figure field -> label, in display order; a figure left out is not shown for this consultation.
    figures: dict[str, str]

    @property
    def choose_prompt(self) -> str:
        return f"Choose your {self.site} to read its proposal and respond."

    def proposal(self, code: str) -> str:
        return self.proposals.get(code) or code.replace("_", " ").capitalize()

    def figure_rows(self, station: Station) -> list[tuple[str, float | None]]:
        """(label, value) for each figure this consultation publishes; the value None when a site has none."""
        return [(label, getattr(station, field)) for field, label in self.figures.items()]

    def as_dict(self) -> dict:
        return {
            "site": self.site,
            "sites": self.sites,
            "choose_prompt": self.choose_prompt,
            "proposals": dict(self.proposals),
            "figures": dict(self.figures),
        }


def wording_for(consultation: Consultation) -> Wording:
    """The consultation's own words, with generic ones for whatever it does not set."""
    site = consultation.site_word or DEFAULT_SITE_WORD
    sites = consultation.site_word_plural or DEFAULT_SITE_WORD_PLURAL
    own_proposals = consultation.proposal_wording or {}
    proposals = {code: own_proposals.get(code) or GENERIC_PROPOSALS[code].format(site=site) for code in PROPOSALS}
    if consultation.figure_labels is None:
        figures = {field: label.format(site=site) for field, label in GENERIC_FIGURE_LABELS.items()}
    else:
        figures = {field: consultation.figure_labels[field] for field in FIGURES if field in consultation.figure_labels}
    return Wording(site=site, sites=sites, proposals=proposals, figures=figures)
