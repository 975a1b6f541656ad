"""The methods paragraphs of the validity checks say how large cohorts were checked."""

from dataclasses import replace

from analysis.reporting.methods import replication_paragraph, structure_paragraph
from tests.components.test_replication_figures import a_split_half
from tests.components.test_structure_figures import a_structure


def test_a_subsampled_structure_test_gives_its_size_and_layout_epochs():
    whole = structure_paragraph(replace(a_structure(), layout_epochs=500))
    assert "Every null cohort had the 300 clustered participants' number of rows." in whole
    assert "epochs" not in whole
    subsampled = structure_paragraph(replace(a_structure(), n_tested=1000, subsampled=True, layout_epochs=200))
    assert (
        "A seeded subsample of 1,000 clustered participants was re-clustered and tested, and every null cohort had 1,000 "
        "participants; these clusterings' UMAP layouts ran 200 epochs." in subsampled
    )


def test_subsampled_replication_halves_give_their_layout_epochs():
    whole = replication_paragraph(replace(a_split_half(), layout_epochs=500))
    assert "3 random splits of the clustered participants into halves of 150, balanced within each site." in whole
    subsampled = replication_paragraph(replace(a_split_half(), n_per_half=1000, subsampled=True, layout_epochs=200))
    assert (
        "3 random splits of a seeded subsample of the clustered participants into halves of 1,000, balanced within each site "
        "(their UMAP layouts ran 200 epochs)." in subsampled
    )


def test_a_run_saved_before_the_epochs_were_recorded_does_not_state_them():
    structure = structure_paragraph(replace(a_structure(), n_tested=2000, subsampled=True, layout_epochs=None))
    assert "every null cohort had 2,000 participants. " in structure and "epochs" not in structure
    split_half = replication_paragraph(replace(a_split_half(), n_per_half=2000, subsampled=True, layout_epochs=None))
    assert "halves of 2,000, balanced within each site." in split_half and "epochs" not in split_half
