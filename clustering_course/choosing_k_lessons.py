"""Course helpers for notebook 09 (choosing k): the two exercise checks.

The checks live in :mod:`clustering_course.text_lessons`, which holds the exercise checks of
notebooks 08 to 10; this module gives them a name that matches the notebook.

- :func:`check_silhouette_values`: every point's silhouette from a distance matrix.
- :func:`check_prediction_strength`: prediction strength of a clustering (optional exercise).

Each check calls the student's function on hand-made and random cases, prints one line when
all pass, and raises :class:`clustering_course.exercises.ExerciseFailed` with a diagnosis
otherwise.
"""

from clustering_course.text_lessons import check_prediction_strength, check_silhouette_values

__all__ = ["check_prediction_strength", "check_silhouette_values"]
