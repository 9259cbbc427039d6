"""分析研判 and 预测预警: significance of changes, forecasts with back-tested intervals, similar cases
and the grid map. A package inside reports: it reads the reports' figures (reports.statistics) and
casework's scope, and owns its pages under /analysis/."""
