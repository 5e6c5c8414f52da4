"""Notebook 09's checks are text_lessons's, re-exported; tests/test_course_nb07.py tests them."""

from clustering_course import choosing_k_lessons as ck


def test_module_re_exports_the_checks():
    from clustering_course import text_lessons

    assert ck.check_silhouette_values is text_lessons.check_silhouette_values
    assert ck.check_prediction_strength is text_lessons.check_prediction_strength
