from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler as drf_exception_handler


class ParameterError(APIException):
    """A query parameter whose value the API cannot use: a 400 that names the parameter."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_parameter"

    def __init__(self, parameter, message):
        self.parameter = parameter
        super().__init__(detail=f"{parameter}: {message}")


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ParameterError):
        response.data = {"detail": str(exc.detail), "parameter": exc.parameter}
    return response
