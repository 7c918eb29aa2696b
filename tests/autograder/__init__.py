"""The grader: jail, screen, intake, wire, binding, class view, late work, diagnosis."""
