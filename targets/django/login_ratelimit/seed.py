from django.contrib.auth.models import User


def run():
    User.objects.create_superuser("admin", "admin@example.com", "Adm1n-staff-2024")
    User.objects.create_user("alice", "alice@example.com", "alice-wonder")
    User.objects.create_user("support", "support@example.com", "Support#1")
