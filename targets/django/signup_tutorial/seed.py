from django.contrib.auth.models import User


def run():
    User.objects.create_superuser("admin", "admin@example.com", "Adm1n-tutorial-2024")
    User.objects.create_user("maya", "maya@example.com", "maya-reads-books")
    User.objects.create_user("librarian", "librarian@example.com", "L1brarian#desk")
