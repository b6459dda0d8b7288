from .operator import operator_details


def site(request):
    return {"operator": operator_details()}
